<?php

use Acme\Modules\Orders\Http\Controllers\OrderController;
use Illuminate\Support\Facades\Route;

Route::prefix('api/orders')->middleware(['api', 'auth:sanctum'])->group(function () {
    Route::get('/', [OrderController::class, 'index']);
    Route::get('{order}', [OrderController::class, 'show']);
    Route::post('{order}/cancel', [OrderController::class, 'cancel']);
});

Route::get('health/modules/orders', fn () => response()->json(['status' => 'ok']));
