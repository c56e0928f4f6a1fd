<?php

namespace Acme\Modules\Payments\Gateways;

use Acme\Modules\Payments\Models\Payment;

interface PaymentGateway
{
    /** Create a payment for the given amount in minor units and return it in "pending" state. */
    public function charge(int $amountCents, string $currency, string $reference): Payment;

    /** Refund all of a payment, or only $amountCents of it. */
    public function refund(Payment $payment, ?int $amountCents = null): Payment;

    public function verifyWebhook(string $payload, string $signature): bool;
}
