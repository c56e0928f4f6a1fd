export default function BillingApp() { return null; }
