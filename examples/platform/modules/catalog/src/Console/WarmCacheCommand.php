<?php

namespace Acme\Modules\Catalog\Console;

use Acme\Modules\Catalog\Models\Product;
use Illuminate\Console\Command;
use Illuminate\Support\Facades\Cache;

class WarmCacheCommand extends Command
{
    protected $signature = 'catalog:warm-cache';

    protected $description = 'Pre-load the published product list into the cache';

    public function handle(): int
    {
        $count = 0;

        Product::query()->where('published', true)->chunkById(500, function ($products) use (&$count) {
            foreach ($products as $product) {
                Cache::put("catalog:product:{$product->slug}", $product, now()->addHour());
                $count++;
            }
        });

        $this->info("Cached {$count} products.");

        return self::SUCCESS;
    }
}
