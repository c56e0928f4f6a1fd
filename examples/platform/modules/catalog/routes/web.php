<?php

use Acme\Modules\Catalog\Http\Controllers\ProductController;
use Illuminate\Support\Facades\Route;

Route::middleware('web')->group(function () {
    Route::get('products', [ProductController::class, 'index'])->name('catalog.products.index');
    Route::get('products/{product}', [ProductController::class, 'show'])->name('catalog.products.show');
});

Route::get('health/modules/catalog', fn () => response()->json(['status' => 'ok']));
