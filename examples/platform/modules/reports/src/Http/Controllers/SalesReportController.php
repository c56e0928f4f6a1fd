<?php

namespace Acme\Modules\Reports\Http\Controllers;

use Acme\Modules\Reports\Queries\SalesByDay;
use Illuminate\Http\JsonResponse;
use Illuminate\Http\Request;
use Illuminate\Routing\Controller;
use Illuminate\Support\Carbon;

class SalesReportController extends Controller
{
    public function __invoke(Request $request, SalesByDay $query): JsonResponse
    {
        $data = $request->validate([
            'from' => 'required|date',
            'to' => 'required|date|after_or_equal:from',
        ]);

        $rows = $query->between(Carbon::parse($data['from']), Carbon::parse($data['to']));

        return response()->json([
            'rows' => $rows,
            'total_revenue_cents' => (int) $rows->sum('revenue_cents'),
        ]);
    }
}
