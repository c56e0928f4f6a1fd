<?php

namespace Acme\Modules\Shipping\Services;

class RateCalculator
{
    public function __construct(private readonly array $config)
    {
    }

    /** Shipping cost in cents for a parcel of $weightGrams going to $countryCode. */
    public function quote(string $countryCode, int $weightGrams, int $orderTotalCents): int
    {
        if ($orderTotalCents >= $this->config['free_shipping_threshold_cents']) {
            return 0;
        }

        $zone = $this->config['zones'][strtoupper($countryCode)] ?? 'world';
        $rates = $this->config['rates'][$zone];

        foreach ($rates as $maxGrams => $cents) {
            if ($weightGrams <= $maxGrams) {
                return $cents;
            }
        }

        return end($rates);
    }
}
