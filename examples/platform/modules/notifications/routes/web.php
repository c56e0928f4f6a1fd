<?php

use Acme\Modules\Notifications\Notifier;
use Illuminate\Support\Facades\Route;

Route::get('health/modules/notifications', function (Notifier $notifier) {
    // Resolving the Notifier proves the channels are configured.
    return response()->json([
        'status' => 'ok',
        'notifier' => $notifier::class,
    ]);
});
