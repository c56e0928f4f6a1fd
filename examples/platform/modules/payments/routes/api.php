<?php

use Acme\Modules\Payments\Http\Controllers\WebhookController;
use Illuminate\Support\Facades\Route;

Route::post('api/payments/webhooks/stripe', WebhookController::class)
    ->middleware('api')
    ->name('payments.webhooks.stripe');

Route::get('health/modules/payments', fn () => response()->json(['status' => 'ok']));
