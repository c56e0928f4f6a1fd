{{-- Order confirmation e-mail. Variables: customerName, orderNumber, totalCents, currency. --}}
<p>Hello {{ $customerName }},</p>

<p>thank you for your order <strong>{{ $orderNumber }}</strong>.</p>

<p>Total: {{ number_format($totalCents / 100, 2) }} {{ $currency }}</p>

<p>We will let you know as soon as it ships.</p>

<p>Your Acme Shop team</p>
