<?php

namespace Acme\Modules\Payments\Http\Controllers;

use Acme\Modules\Payments\Gateways\PaymentGateway;
use Acme\Modules\Payments\Models\Payment;
use Illuminate\Http\Request;
use Illuminate\Http\Response;
use Illuminate\Routing\Controller;

class WebhookController extends Controller
{
    public function __invoke(Request $request, PaymentGateway $gateway): Response
    {
        if (! $gateway->verifyWebhook($request->getContent(), (string) $request->header('Stripe-Signature'))) {
            return response('invalid signature', 400);
        }

        $event = $request->json()->all();

        if ($event['type'] === 'payment_intent.succeeded') {
            Payment::where('provider_id', $event['data']['object']['id'])
                ->where('status', '!=', 'captured')
                ->update(['status' => 'captured', 'captured_at' => now()]);
        }

        return response('', 204);
    }
}
