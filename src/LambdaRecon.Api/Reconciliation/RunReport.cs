using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using LambdaRecon.Api.Auth;
using LambdaRecon.Api.Problems;
using LambdaRecon.Api.Transactions;
using LambdaRecon.Infrastructure.Reconciliation;
using static System.Net.WebUtility;

namespace LambdaRecon.Api.Reconciliation;

/// <summary>
/// GET /reconciliations/{runId}/report: a run as one self-contained HTML page for people: totals matched by rule, what is
/// left on each side and the amount mismatches with their amounts, an ageing chart of the open breaks (inline SVG), and the
/// breaks table with filters and links to each item. Nothing is loaded from elsewhere; the one style and the one script
/// are allowed by their hashes in a Content-Security-Policy that otherwise allows nothing, sent as a header and repeated
/// in a meta element, so that a copy saved with curl is held to it too. Every value is HTML-encoded.
/// </summary>
public static class RunReport
{
    /// <summary>The table shows at most this many breaks (the totals and the chart count them all); the CSV export has every one.</summary>
    public const int MaxRows = 2000;

    private const string Style = """
        body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
        main{max-width:1240px;margin:0 auto;padding:24px}
        h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px}
        .meta{color:#5b6475;margin:0 0 18px}
        .cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(190px,1fr));gap:12px}
        .card{background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:12px 14px}
        .card b{display:block;font-size:24px}.card span{color:#5b6475;font-size:13px}
        table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #dde1e8}
        th,td{padding:6px 9px;border-bottom:1px solid #eceef2;text-align:left;vertical-align:top}
        th{background:#eef0f4;font-weight:600;font-size:13px}
        td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
        td.date{white-space:nowrap}
        tbody tr:nth-child(even){background:#fafbfc}
        .filters{display:flex;gap:12px;flex-wrap:wrap;margin:0 0 10px;align-items:end}
        .filters label{font-size:13px;color:#5b6475;display:flex;flex-direction:column;gap:3px}
        .filters input,.filters select{font:inherit;padding:4px 6px}
        .chart{background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:10px}
        .kind{font-family:ui-monospace,monospace;font-size:13px}
        .open{color:#a4262c}.note{color:#5b6475;font-size:13px}
        """;

    // Filters rows by kind, status and text. It also marks the page as filterable, which is how a test sees that the CSP let it run.
    private const string Script = """
        (function(){
          var kind=document.getElementById('f-kind'),status=document.getElementById('f-status'),text=document.getElementById('f-text');
          var rows=document.querySelectorAll('#breaks tbody tr'),shown=document.getElementById('shown');
          function apply(){
            var k=kind.value,s=status.value,t=text.value.toLowerCase(),n=0;
            rows.forEach(function(r){
              var ok=(!k||r.dataset.kind===k)&&(!s||r.dataset.status===s)&&(!t||r.textContent.toLowerCase().indexOf(t)>=0);
              r.hidden=!ok;if(ok)n++;
            });
            shown.textContent=String(n);
          }
          [kind,status,text].forEach(function(e){e.addEventListener('input',apply);});
          apply();
          document.body.setAttribute('data-filters','ready');
        })();
        """;

    private static readonly string Policy =
        $"default-src 'none'; style-src '{Hash(Style)}'; script-src '{Hash(Script)}'; img-src 'none'; base-uri 'none'; form-action 'none'";

    /// <summary>The header adds what a meta element cannot carry: the page may not be framed.</summary>
    public static readonly string ContentSecurityPolicy = Policy + "; frame-ancestors 'none'";

    private static readonly (string Label, int From, int To)[] Ages =
        [("0–7 days", 0, 7), ("8–30 days", 8, 30), ("31–60 days", 31, 60), ("61–90 days", 61, 90), ("over 90 days", 91, int.MaxValue)];

    public static async Task<IResult> ReportAsync(Guid runId, HttpContext http, ReconciliationReader reader, CancellationToken cancellationToken)
    {
        var client = http.Client();
        if (await reader.RunAsync(client.TenantId, client.IsAdmin, runId, cancellationToken) is not { } run)
        {
            return Problem.NotFound("Reconciliation run", $"run {runId} does not exist");
        }

        var rules = await reader.MatchedByRuleAsync(client.TenantId, runId, cancellationToken);
        var breaks = new List<BreakView>();
        var totals = new SortedDictionary<(string Kind, string Currency), (int Count, long Minor)>();
        var ageing = new (int Count, long Minor)[Ages.Length];
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var count = 0;
        await foreach (var b in reader.AllBreaksAsync(client.TenantId, runId, cancellationToken))
        {
            count++;
            var t = totals.GetValueOrDefault((b.Kind, b.Currency));
            totals[(b.Kind, b.Currency)] = (t.Count + 1, t.Minor + b.Amount);
            if (b.Status == "open")
            {
                var age = today.DayNumber - (b.ItemDate ?? DateOnly.FromDateTime(run.StartedAt.UtcDateTime)).DayNumber;
                var bucket = Array.FindIndex(Ages, a => Math.Max(age, 0) >= a.From && Math.Max(age, 0) <= a.To);
                ageing[bucket] = (ageing[bucket].Count + 1, ageing[bucket].Minor + Math.Abs(b.Amount));
            }

            if (breaks.Count < MaxRows)
            {
                breaks.Add(b);
            }
        }

        var headers = http.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "no-store";
        var currency = totals.Keys.Select(k => k.Currency).FirstOrDefault() ?? "";
        return Results.Content(Render(run, rules, totals, ageing, breaks, count, currency), "text/html; charset=utf-8");
    }

    public static string Hash(string inline) => "sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(inline)));

    private static string Render(
        RunView run, IReadOnlyList<RuleTotal> rules, SortedDictionary<(string Kind, string Currency), (int Count, long Minor)> totals,
        (int Count, long Minor)[] ageing, List<BreakView> breaks, int count, string currency)
    {
        var html = new StringBuilder(64 * 1024);
        string Amounts(string kind) =>
            string.Join(" · ", totals.Where(t => t.Key.Kind == kind).Select(t => $"{MoneyFields.Text(t.Value.Minor, t.Key.Currency)} {t.Key.Currency}")) is { Length: > 0 } s ? s : "0";
        int Count(string kind) => totals.Where(t => t.Key.Kind == kind).Sum(t => t.Value.Count);

        html.Append(CultureInfo.InvariantCulture, $"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="{HtmlEncode(Policy)}">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Reconciliation {HtmlEncode(run.AccountId ?? "ledger")} · {run.RunId}</title>
            <style>{Style}</style></head>
            <body><main>
            <h1>Reconciliation of {HtmlEncode(run.AccountId ?? "the whole ledger")}</h1>
            <p class="meta">Run <code>{run.RunId}</code> · {HtmlEncode(run.Kind)} · state <b id="state">{HtmlEncode(run.State)}</b>
             · started {run.StartedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC{(run.FinishedAt is { } f ? $" · finished {f.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC" : "")}
             · by {HtmlEncode(run.TriggeredBy)}{(run.FailureReason is { } reason ? $" · <span class=\"open\">{HtmlEncode(reason)}</span>" : "")}</p>
            <section class="cards" id="totals">
            <div class="card"><span>Matched</span><b id="matched">{rules.Sum(r => r.Matches)}</b><span>{rules.Sum(r => r.Transactions)} postings, {rules.Sum(r => r.Lines)} statement lines</span></div>
            <div class="card"><span>Unmatched in the ledger</span><b id="unmatched-internal">{Count("unmatched_internal")}</b><span>{HtmlEncode(Amounts("unmatched_internal"))}</span></div>
            <div class="card"><span>Unmatched on statements</span><b id="unmatched-external">{Count("unmatched_external") + Count("reversal")}</b><span>{HtmlEncode(Amounts("unmatched_external"))}{(Count("reversal") > 0 ? HtmlEncode($" · reversals {Amounts("reversal")}") : "")}</span></div>
            <div class="card"><span>Amount mismatches</span><b id="mismatches">{Count("amount_mismatch")}</b><span>statement − ledger: {HtmlEncode(Amounts("amount_mismatch"))}</span></div>
            </section>
            <h2>Matched by rule</h2>
            <table id="rules"><thead><tr><th>Rule</th><th class="num">Matches</th><th class="num">Postings</th><th class="num">Statement lines</th><th class="num">Lines total</th></tr></thead><tbody>
            """);
        foreach (var r in rules)
        {
            html.Append(CultureInfo.InvariantCulture,
                $"""<tr><td class="kind">{HtmlEncode(r.Rule)}</td><td class="num">{r.Matches}</td><td class="num">{r.Transactions}</td><td class="num">{r.Lines}</td><td class="num">{HtmlEncode(currency.Length == 3 ? $"{MoneyFields.Text(r.LinesAmount, currency)} {currency}" : r.LinesAmount.ToString(CultureInfo.InvariantCulture))}</td></tr>""");
        }

        if (rules.Count == 0)
        {
            html.Append("""<tr><td colspan="5" class="note">No matches in this run.</td></tr>""");
        }

        html.Append("</tbody></table>\n<h2>Open breaks by age</h2>\n");
        AgeingChart(html, ageing, currency);
        html.Append(CultureInfo.InvariantCulture, $"""
            <h2>Breaks</h2>
            <div class="filters">
            <label>Kind <select id="f-kind"><option value="">all</option><option>unmatched_internal</option><option>unmatched_external</option><option>reversal</option><option>amount_mismatch</option></select></label>
            <label>Status <select id="f-status"><option value="">all</option><option>open</option><option>adjusted</option><option>explained</option></select></label>
            <label>Text <input id="f-text" type="search" placeholder="reference, counterparty, id"></label>
            <span class="note"><span id="shown">{breaks.Count}</span> shown of {count}{(count > breaks.Count ? $" (the table holds the first {breaks.Count}; the CSV export, ?format=csv on …/breaks, has all)" : "")}</span>
            </div>
            <table id="breaks"><thead><tr><th>Kind</th><th>Status</th><th>Item date</th><th class="num">Amount</th><th>Reference</th><th>Counterparty / description</th><th>Item</th></tr></thead><tbody>
            """);
        foreach (var b in breaks)
        {
            var item = new StringBuilder();
            if (b.TransactionId is { } transaction)
            {
                item.Append(CultureInfo.InvariantCulture, $"""<a href="../../transactions/{transaction}">posting {transaction.ToString()[..8]}</a> """);
            }

            if (b.LineId is { } line)
            {
                item.Append(b.StatementId is { } statement
                    ? $"""<a href="../../statements/{statement}">line {HtmlEncode(line)}</a>"""
                    : $"line {HtmlEncode(line)}");
            }

            var who = string.Join(" · ", new[] { b.Counterparty, BreaksExport.DetailText(b.Detail, "description") }.Where(s => !string.IsNullOrEmpty(s)));
            html.Append(CultureInfo.InvariantCulture,
                $"""<tr id="break-{b.BreakId}" data-kind="{HtmlEncode(b.Kind)}" data-status="{HtmlEncode(b.Status)}"><td class="kind">{HtmlEncode(b.Kind)}</td><td{(b.Status == "open" ? " class=\"open\"" : "")}>{HtmlEncode(b.Status)}</td><td class="date">{b.ItemDate?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}</td><td class="num">{HtmlEncode(MoneyFields.Text(b.Amount, b.Currency))} {HtmlEncode(b.Currency)}</td><td>{HtmlEncode(BreaksExport.DetailText(b.Detail, "reference") ?? "")}</td><td>{HtmlEncode(who)}</td><td>{item}</td></tr>""");
            html.Append('\n');
        }

        html.Append(CultureInfo.InvariantCulture, $"""
            </tbody></table>
            <p class="note">Amounts are signed from the account's side; a mismatch's amount is what the statement says beyond the ledger.
            Links lead to the JSON API and need the same API key.</p>
            </main><script>{Script}</script></body></html>
            """);
        return html.ToString();
    }

    /// <summary>One horizontal bar per age, its length the count of open breaks; SVG attributes, not inline styles, so the CSP holds.</summary>
    private static void AgeingChart(StringBuilder html, (int Count, long Minor)[] ageing, string currency)
    {
        const int width = 560, barHeight = 22, gap = 8, label = 110;
        var max = Math.Max(1, ageing.Max(a => a.Count));
        var height = (Ages.Length * (barHeight + gap)) + gap;
        html.Append(CultureInfo.InvariantCulture,
            $"""<div class="chart"><svg id="ageing" role="img" aria-label="Open breaks by age" width="100%" viewBox="0 0 {width + label + 200} {height}" xmlns="http://www.w3.org/2000/svg">""");
        for (var i = 0; i < Ages.Length; i++)
        {
            var y = gap + (i * (barHeight + gap));
            var length = ageing[i].Count == 0 ? 0 : Math.Max(2, ageing[i].Count * width / max);
            var amount = currency.Length == 3 ? $"{MoneyFields.Text(ageing[i].Minor, currency)} {currency}" : "";
            html.Append(CultureInfo.InvariantCulture,
                $"""<text x="0" y="{y + 16}" font-size="13" fill="#5b6475">{HtmlEncode(Ages[i].Label)}</text><rect class="bar" x="{label}" y="{y}" width="{length}" height="{barHeight}" rx="3" fill="{(i < 2 ? "#4f7cc4" : "#c4524f")}"><title>{ageing[i].Count} open, {HtmlEncode(amount)}</title></rect><text x="{label + length + 8}" y="{y + 16}" font-size="13" fill="#1d2330">{ageing[i].Count} · {HtmlEncode(amount)}</text>""");
        }

        html.Append("</svg></div>\n");
    }
}
