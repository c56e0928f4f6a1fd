<?php

use Acme\Modules\Shipping\Services\RateCalculator;
use Illuminate\Http\Request;
use Illuminate\Support\Facades\Route;

Route::get('api/shipping/quote', function (Request $request, RateCalculator $rates) {
    $data = $request->validate([
        'country' => 'required|string|size:2',
        'weight_grams' => 'required|integer|min:1',
        'order_total_cents' => 'required|integer|min:0',
    ]);

    return ['cost_cents' => $rates->quote($data['country'], $data['weight_grams'], $data['order_total_cents'])];
})->middleware('api');

Route::get('health/modules/shipping', fn () => response()->json(['status' => 'ok']));
