<?php

namespace Acme\Modules\Shipping\Models;

use Illuminate\Database\Eloquent\Model;

class Shipment extends Model
{
    protected $fillable = ['order_id', 'carrier', 'tracking_number', 'cost_cents', 'status', 'shipped_at'];

    protected $casts = [
        'cost_cents' => 'integer',
        'shipped_at' => 'datetime',
    ];

    public function trackingUrl(): ?string
    {
        return $this->tracking_number
            ? "https://track.example-carrier.com/{$this->tracking_number}"
            : null;
    }
}
