<?php

return [
    'from' => [
        'address' => env('NOTIFICATIONS_FROM_ADDRESS', 'shop@acme.example'),
        'name' => env('NOTIFICATIONS_FROM_NAME', 'Acme Shop'),
    ],

    'sms' => [
        'endpoint' => env('SMS_ENDPOINT', 'https://sms.example.com/v1/messages'),
        'token' => env('SMS_TOKEN', ''),
        'sender' => env('SMS_SENDER', 'AcmeShop'),
    ],
];
