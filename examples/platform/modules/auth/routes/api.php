<?php

use Acme\Modules\Auth\Http\Controllers\TokenController;
use Illuminate\Support\Facades\Route;

Route::prefix('api/auth')->middleware(['api', 'auth:sanctum'])->group(function () {
    Route::post('tokens', [TokenController::class, 'store']);
    Route::post('tokens/{token}/revoke', [TokenController::class, 'revoke']);
});

Route::get('health/modules/auth', fn () => response()->json(['status' => 'ok']));
