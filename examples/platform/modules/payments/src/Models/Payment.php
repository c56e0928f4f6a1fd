<?php

namespace Acme\Modules\Payments\Models;

use Illuminate\Database\Eloquent\Model;

class Payment extends Model
{
    protected $fillable = ['reference', 'provider_id', 'amount_cents', 'currency', 'status', 'captured_at'];

    protected $casts = [
        'amount_cents' => 'integer',
        'captured_at' => 'datetime',
    ];

    public function isCaptured(): bool
    {
        return $this->status === 'captured';
    }
}
