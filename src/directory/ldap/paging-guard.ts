/**
 * RFC 2696 lets a server answer a page with no entries and a cookie that continues the search (AD does this when
 * a page's time budget runs out before it found a match). ldapts 8 ends a paged search at the first page without
 * entries, whatever the cookie says: a sync would then read a short directory as users leaving. This replaces the
 * client's page request with the same steps, continuing whenever the server returns a cookie.
 */
import { MessageResponseStatus, PagedResultsControl, StatusCodeParser, type Client, type SearchResponse } from 'ldapts';

interface SearchRequestLike {
  messageId: number;
  sizeLimit?: number;
  attributes: string[];
  explicitBufferAttributes: string[];
}

interface ClientInternals {
  _nextMessageId(): number;
  _send(req: unknown): Promise<SearchResponse | undefined>;
  _sendSearch: ((...args: never[]) => Promise<PagedResultsControl | undefined>) & { spool?: true };
}

export function installPagingGuard(client: Client): void {
  const c = client as unknown as ClientInternals;
  if (typeof c._sendSearch !== 'function' || typeof c._send !== 'function' || c._sendSearch.spool) return;
  const guarded = async function (
    this: ClientInternals, req: SearchRequestLike, result: { searchEntries: unknown[]; searchReferences: string[] },
    paged: boolean, pageSize: number, control: PagedResultsControl | undefined, fetchAll = true,
  ): Promise<PagedResultsControl | undefined> {
    req.messageId = this._nextMessageId();
    const res = await this._send(req);
    const sizeLimited = res?.status === MessageResponseStatus.SizeLimitExceeded && !!req.sizeLimit;
    if (res?.status !== MessageResponseStatus.Success && !sizeLimited) throw StatusCodeParser.parse(res as never);
    for (const e of res!.searchEntries) result.searchEntries.push(e.toObject(req.attributes, req.explicitBufferAttributes));
    for (const r of res!.searchReferences) result.searchReferences.push(...r.uris);
    if (!paged || !control) return undefined;
    const answer = (res!.controls ?? []).find((x): x is PagedResultsControl => x instanceof PagedResultsControl);
    const cookie = answer?.value?.cookie;
    if (!cookie?.length) return undefined;
    control.value = control.value ?? { size: pageSize };
    control.value.cookie = cookie;
    if (fetchAll) return guarded.call(this, req, result, paged, pageSize, control, true);
    return control;
  };
  const sendSearch = guarded as unknown as ClientInternals['_sendSearch'];
  sendSearch.spool = true;
  c._sendSearch = sendSearch;
}
