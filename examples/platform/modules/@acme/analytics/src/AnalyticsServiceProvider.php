<?php

namespace Acme\Modules\Analytics;

use Illuminate\Support\ServiceProvider;

class AnalyticsServiceProvider extends ServiceProvider
{
    public function boot(): void
    {
        $this->loadRoutesFrom(__DIR__ . '/../routes/web.php');

        // The micro-frontend is plain ES modules; publish them next to the platform assets.
        $this->publishes([
            __DIR__ . '/index.js' => public_path('modules/acme-analytics/index.js'),
            __DIR__ . '/widget.js' => public_path('modules/acme-analytics/widget.js'),
            __DIR__ . '/format.js' => public_path('modules/acme-analytics/format.js'),
            __DIR__ . '/../resources/css/widget.css' => public_path('modules/acme-analytics/widget.css'),
        ], 'acme-analytics-assets');
    }
}
