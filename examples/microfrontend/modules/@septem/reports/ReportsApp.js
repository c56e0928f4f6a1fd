export default function ReportsApp() { return null; }
