<?php

namespace Acme\Modules\Reports;

use Acme\Modules\Reports\Console\ExportSalesCommand;
use Illuminate\Support\ServiceProvider;

class ReportsServiceProvider extends ServiceProvider
{
    public function boot(): void
    {
        $this->loadRoutesFrom(__DIR__ . '/../routes/web.php');
        $this->loadMigrationsFrom(__DIR__ . '/../database/migrations');

        if ($this->app->runningInConsole()) {
            $this->commands([ExportSalesCommand::class]);
        }
    }
}
