<?php

namespace Acme\Modules\Reports\Console;

use Acme\Modules\Reports\Queries\SalesByDay;
use Illuminate\Console\Command;
use Illuminate\Support\Carbon;

class ExportSalesCommand extends Command
{
    protected $signature = 'reports:export {--days=30 : How many days back} {--output=php://stdout}';

    protected $description = 'Export daily sales as CSV';

    public function handle(SalesByDay $query): int
    {
        $rows = $query->between(Carbon::today()->subDays((int) $this->option('days')), Carbon::today());

        $out = fopen($this->option('output'), 'w');
        fputcsv($out, ['day', 'orders', 'revenue']);
        foreach ($rows as $row) {
            fputcsv($out, [$row->day, $row->orders, number_format($row->revenue_cents / 100, 2, '.', '')]);
        }
        fclose($out);

        return self::SUCCESS;
    }
}
