<?php

namespace Acme\Modules\Notifications\Channels;

use Illuminate\Support\Facades\Http;

class SmsChannel implements Channel
{
    public function __construct(private readonly array $config)
    {
    }

    public function send(string $to, string $subject, string $body): void
    {
        Http::withToken($this->config['token'])
            ->timeout(10)
            ->post($this->config['endpoint'], [
                'from' => $this->config['sender'],
                'to' => $to,
                'text' => mb_substr($subject . ': ' . strip_tags($body), 0, 160),
            ])
            ->throw();
    }
}
