<?php

namespace Acme\Modules\Payments;

use Acme\Modules\Payments\Gateways\PaymentGateway;
use Acme\Modules\Payments\Gateways\StripeGateway;
use Illuminate\Support\ServiceProvider;

class PaymentsServiceProvider extends ServiceProvider
{
    public function register(): void
    {
        $this->mergeConfigFrom(__DIR__ . '/../config/payments.php', 'payments');

        $this->app->singleton(PaymentGateway::class, function ($app) {
            $config = $app['config']->get('payments.stripe');

            return new StripeGateway($config['secret'], $config['webhook_secret']);
        });
    }

    public function boot(): void
    {
        $this->loadRoutesFrom(__DIR__ . '/../routes/api.php');
        $this->loadMigrationsFrom(__DIR__ . '/../database/migrations');
    }
}
