<?php

use Illuminate\Support\Facades\Route;

// Healthy once the micro-frontend assets have been published (onInstall / onUpgrade hook).
Route::get('health/modules/acme-analytics', function () {
    $published = file_exists(public_path('modules/acme-analytics/index.js'));

    return response()->json(
        ['status' => $published ? 'ok' : 'assets-missing'],
        $published ? 200 : 503,
    );
});
