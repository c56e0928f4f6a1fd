<?php

namespace Acme\Modules\Reports\Queries;

use Illuminate\Support\Carbon;
use Illuminate\Support\Collection;
use Illuminate\Support\Facades\DB;

class SalesByDay
{
    /** @return Collection<int, object{day: string, orders: int, revenue_cents: int}> */
    public function between(Carbon $from, Carbon $to): Collection
    {
        return DB::table('orders')
            ->selectRaw('DATE(created_at) as day, COUNT(*) as orders, SUM(total_cents) as revenue_cents')
            ->whereBetween('created_at', [$from->startOfDay(), $to->endOfDay()])
            ->where('status', '!=', 'cancelled')
            ->groupByRaw('DATE(created_at)')
            ->orderBy('day')
            ->get();
    }
}
