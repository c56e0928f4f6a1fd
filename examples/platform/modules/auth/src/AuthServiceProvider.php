<?php

namespace Acme\Modules\Auth;

use Acme\Modules\Auth\Services\TokenIssuer;
use Illuminate\Support\ServiceProvider;

class AuthServiceProvider extends ServiceProvider
{
    public function register(): void
    {
        $this->mergeConfigFrom(__DIR__ . '/../config/auth-module.php', 'auth-module');

        $this->app->singleton(TokenIssuer::class, function ($app) {
            return new TokenIssuer(
                ttlDays: (int) $app['config']->get('auth-module.token_ttl_days', 90),
            );
        });
    }

    public function boot(): void
    {
        $this->loadRoutesFrom(__DIR__ . '/../routes/api.php');
        $this->loadMigrationsFrom(__DIR__ . '/../database/migrations');
    }
}
