<?php

namespace Acme\Modules\Notifications;

use Acme\Modules\Notifications\Channels\MailChannel;
use Acme\Modules\Notifications\Channels\SmsChannel;
use Illuminate\Support\ServiceProvider;

class NotificationsServiceProvider extends ServiceProvider
{
    public function register(): void
    {
        $this->mergeConfigFrom(__DIR__ . '/../config/notifications.php', 'notifications');

        $this->app->singleton(Notifier::class, function ($app) {
            return new Notifier([
                'mail' => new MailChannel($app['mailer']),
                'sms' => new SmsChannel($app['config']->get('notifications.sms')),
            ]);
        });
    }

    public function boot(): void
    {
        $this->loadRoutesFrom(__DIR__ . '/../routes/web.php');
        $this->loadViewsFrom(__DIR__ . '/../resources/views', 'notifications');

        $this->publishes([
            __DIR__ . '/../config/notifications.php' => config_path('notifications.php'),
        ], 'notifications-config');
    }
}
