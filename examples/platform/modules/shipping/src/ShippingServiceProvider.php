<?php

namespace Acme\Modules\Shipping;

use Acme\Modules\Orders\Events\OrderPaid;
use Acme\Modules\Shipping\Listeners\CreateShipmentForPaidOrder;
use Acme\Modules\Shipping\Services\RateCalculator;
use Illuminate\Support\Facades\Event;
use Illuminate\Support\ServiceProvider;

class ShippingServiceProvider extends ServiceProvider
{
    public function register(): void
    {
        $this->mergeConfigFrom(__DIR__ . '/../config/shipping.php', 'shipping');

        $this->app->singleton(RateCalculator::class, fn ($app) => new RateCalculator($app['config']->get('shipping')));
    }

    public function boot(): void
    {
        $this->loadRoutesFrom(__DIR__ . '/../routes/api.php');
        $this->loadMigrationsFrom(__DIR__ . '/../database/migrations');

        Event::listen(OrderPaid::class, CreateShipmentForPaidOrder::class);
    }
}
