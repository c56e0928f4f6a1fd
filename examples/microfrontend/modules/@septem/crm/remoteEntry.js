// Module Federation remote of @septem/crm (a real build writes this file)
export const get = (name) => import("./CrmApp.js");
export const init = () => {};
