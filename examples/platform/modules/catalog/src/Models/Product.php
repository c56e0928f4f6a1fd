<?php

namespace Acme\Modules\Catalog\Models;

use Illuminate\Database\Eloquent\Model;

class Product extends Model
{
    protected $fillable = ['sku', 'slug', 'name', 'description', 'price_cents', 'published'];

    protected $casts = [
        'price_cents' => 'integer',
        'published' => 'boolean',
    ];

    public function getRouteKeyName(): string
    {
        return 'slug';
    }

    public function formattedPrice(): string
    {
        return number_format($this->price_cents / 100, 2) . ' EUR';
    }
}
