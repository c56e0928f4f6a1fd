export default function CrmApp() { return null; }
