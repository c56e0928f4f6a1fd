<?php

return [
    'currency' => env('PAYMENTS_CURRENCY', 'EUR'),

    'stripe' => [
        // Secrets come from the environment only; never commit them.
        'secret' => env('STRIPE_SECRET', ''),
        'webhook_secret' => env('STRIPE_WEBHOOK_SECRET', ''),
        'webhook_tolerance_seconds' => 300,
    ],
];
