<?php

namespace Acme\Modules\Shipping\Listeners;

use Acme\Modules\Orders\Events\OrderPaid;
use Acme\Modules\Shipping\Models\Shipment;
use Illuminate\Contracts\Queue\ShouldQueue;

class CreateShipmentForPaidOrder implements ShouldQueue
{
    public function handle(OrderPaid $event): void
    {
        Shipment::firstOrCreate(
            ['order_id' => $event->order->id],
            ['carrier' => config('shipping.default_carrier'), 'status' => 'pending'],
        );
    }
}
