export { formatServiceLine, type ListOptions, renderList } from "./list-format.ts";
export { compareDestinations, compareServices, sortedLikeIpvsadm } from "./order.ts";
