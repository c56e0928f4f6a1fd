<?php

namespace Acme\Modules\Payments\Gateways;

use Acme\Modules\Payments\Models\Payment;
use Illuminate\Support\Facades\Http;

class StripeGateway implements PaymentGateway
{
    public function __construct(private readonly string $secret, private readonly string $webhookSecret)
    {
    }

    public function charge(int $amountCents, string $currency, string $reference): Payment
    {
        $intent = Http::withToken($this->secret)->asForm()->post('https://api.stripe.com/v1/payment_intents', [
            'amount' => $amountCents,
            'currency' => strtolower($currency),
            'metadata[reference]' => $reference,
        ])->throw()->json();

        return Payment::create([
            'reference' => $reference,
            'provider_id' => $intent['id'],
            'amount_cents' => $amountCents,
            'currency' => strtoupper($currency),
            'status' => 'pending',
        ]);
    }

    public function refund(Payment $payment, ?int $amountCents = null): Payment
    {
        Http::withToken($this->secret)->asForm()->post('https://api.stripe.com/v1/refunds', array_filter([
            'payment_intent' => $payment->provider_id,
            'amount' => $amountCents,
        ]))->throw();

        $payment->update(['status' => $amountCents === null ? 'refunded' : 'partially_refunded']);

        return $payment;
    }

    public function verifyWebhook(string $payload, string $signature): bool
    {
        parse_str(str_replace(',', '&', $signature), $parts);
        $expected = hash_hmac('sha256', ($parts['t'] ?? '') . '.' . $payload, $this->webhookSecret);

        return isset($parts['v1']) && hash_equals($expected, $parts['v1']);
    }
}
