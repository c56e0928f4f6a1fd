<?php

namespace Acme\Modules\Auth\Services;

use Acme\Modules\Auth\Models\ApiToken;
use Illuminate\Contracts\Auth\Authenticatable;
use Illuminate\Support\Str;

class TokenIssuer
{
    public function __construct(private readonly int $ttlDays)
    {
    }

    /** @return array{0: ApiToken, 1: string} */
    public function issue(Authenticatable $user, string $name): array
    {
        $plain = Str::random(48);

        $token = ApiToken::create([
            'user_id' => $user->getAuthIdentifier(),
            'name' => $name,
            'token_hash' => hash('sha256', $plain),
            'expires_at' => $this->ttlDays > 0 ? now()->addDays($this->ttlDays) : null,
        ]);

        return [$token, $plain];
    }
}
