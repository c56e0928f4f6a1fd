<?php

return [
    'default_carrier' => env('SHIPPING_CARRIER', 'dhl'),

    'free_shipping_threshold_cents' => 5000,

    // Country code => zone; anything else ships as "world".
    'zones' => ['DE' => 'domestic', 'AT' => 'eu', 'FR' => 'eu', 'NL' => 'eu'],

    // Zone => [max weight in grams => cost in cents], smallest weight first.
    'rates' => [
        'domestic' => [1000 => 499, 5000 => 699, 31500 => 1099],
        'eu' => [1000 => 999, 5000 => 1499, 31500 => 2499],
        'world' => [1000 => 1999, 5000 => 3499, 31500 => 5999],
    ],
];
