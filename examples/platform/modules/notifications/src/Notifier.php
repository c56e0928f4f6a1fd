<?php

namespace Acme\Modules\Notifications;

use Acme\Modules\Notifications\Channels\Channel;
use InvalidArgumentException;

class Notifier
{
    /** @param array<string, Channel> $channels */
    public function __construct(private readonly array $channels)
    {
    }

    public function send(string $channel, string $to, string $subject, string $body): void
    {
        if (! isset($this->channels[$channel])) {
            throw new InvalidArgumentException("Unknown notification channel [{$channel}].");
        }

        $this->channels[$channel]->send($to, $subject, $body);
    }
}
