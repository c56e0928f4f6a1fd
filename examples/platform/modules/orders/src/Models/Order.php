<?php

namespace Acme\Modules\Orders\Models;

use Illuminate\Database\Eloquent\Model;
use Illuminate\Database\Eloquent\Relations\HasMany;

class Order extends Model
{
    public const STATUSES = ['placed', 'paid', 'shipped', 'cancelled'];

    protected $fillable = ['number', 'customer_id', 'status', 'total_cents', 'currency', 'payment_reference'];

    protected $casts = ['total_cents' => 'integer'];

    public function lines(): HasMany
    {
        return $this->hasMany(OrderLine::class);
    }

    public function recalculateTotal(): void
    {
        $this->total_cents = $this->lines->sum(fn (OrderLine $line) => $line->quantity * $line->unit_price_cents);
    }

    public function canBeCancelled(): bool
    {
        return in_array($this->status, ['placed', 'paid'], true);
    }
}
