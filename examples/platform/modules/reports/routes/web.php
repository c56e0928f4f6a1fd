<?php

use Acme\Modules\Reports\Http\Controllers\SalesReportController;
use Illuminate\Support\Facades\Route;

Route::middleware(['web', 'auth', 'can:view-reports'])->prefix('admin/reports')->group(function () {
    Route::get('sales', SalesReportController::class)->name('reports.sales');
});

Route::get('health/modules/reports', fn () => response()->json(['status' => 'ok']));
