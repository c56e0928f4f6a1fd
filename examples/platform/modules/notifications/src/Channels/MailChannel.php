<?php

namespace Acme\Modules\Notifications\Channels;

use Illuminate\Contracts\Mail\Mailer;
use Illuminate\Mail\Message;

class MailChannel implements Channel
{
    public function __construct(private readonly Mailer $mailer)
    {
    }

    public function send(string $to, string $subject, string $body): void
    {
        $this->mailer->html($body, function (Message $message) use ($to, $subject) {
            $message->to($to)->subject($subject);
        });
    }
}
