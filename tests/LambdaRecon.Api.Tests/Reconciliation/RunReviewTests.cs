using System.Net;
using System.Text.Json;
using LambdaRecon.Api.Reconciliation;

namespace LambdaRecon.Api.Tests.Reconciliation;

public sealed class RunReviewTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private readonly string _p = "rv" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>Integers that are counts, positions, scores or ids, never money; any other integer must be named *_minor.</summary>
    private static readonly HashSet<string> NotMoney =
    [
        "matched", "unmatched_internal", "unmatched_external", "amount_mismatches", "differences", "suggestions", "confidence", "source_line",
        "lines", "imported", "records", "records_imported", "position", "batch_count", "suggestion_no", "first_entry_id", "entry_id", "sequence",
        "auto_match_threshold", "ambiguity_margin", "ledger_items", "statement_lines", "accepted_candidate", "candidate", "match_no",
    ];

    private static void MoneyOneWay(JsonElement element, string path, List<string> bad)
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            var i = 0;
            foreach (var item in element.EnumerateArray())
            {
                MoneyOneWay(item, $"{path}[{i++}]", bad);
            }
        }
        else if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                var name = property.Name;
                if (property.Value.ValueKind != JsonValueKind.Number)
                {
                    MoneyOneWay(property.Value, $"{path}.{name}", bad);
                }
                else if (name.EndsWith("_minor", StringComparison.Ordinal))
                {
                    // Request settings (fee_tolerance_minor) are not in responses; every *_minor has its decimal twin.
                    if (!element.TryGetProperty(name[..^"_minor".Length], out var twin) || twin.ValueKind != JsonValueKind.String)
                    {
                        bad.Add($"{path}.{name} has no string {name[..^"_minor".Length]}");
                    }
                }
                else if (!NotMoney.Contains(name) || property.Value.GetRawText().Contains('.', StringComparison.Ordinal))
                {
                    bad.Add($"{path}.{name} = {property.Value.GetRawText()}");
                }
            }
        }
    }

    [Fact]
    public async Task Every_money_field_of_runs_breaks_suggestions_statements_and_records_is_a_decimal_string_beside_its_minor_units()
    {
        var run = await ReviewedRun.SeedAsync(api, _p);
        using var client = api.Client();
        var statements = await ReviewedRun.GetJsonAsync(client, $"/api/v1/statements?account_id={run.Bank}");
        var statementId = statements.GetProperty("statements")[0].GetProperty("statement_id").GetGuid();
        var responses = new Dictionary<string, JsonElement>
        {
            ["reconcile"] = run.Reconciled,
            ["run"] = await ReviewedRun.GetJsonAsync(client, $"/api/v1/reconciliations/{run.RunId}"),
            ["breaks"] = await ReviewedRun.GetJsonAsync(client, $"/api/v1/reconciliations/{run.RunId}/breaks"),
            ["suggestions"] = await ReviewedRun.GetJsonAsync(client, $"/api/v1/reconciliations/{run.RunId}/suggestions"),
            ["history"] = await ReviewedRun.GetJsonAsync(client, $"/api/v1/accounts/{run.Bank}/reconciliation-history"),
            ["difference"] = await ReviewedRun.GetJsonAsync(client, $"/api/v1/accounts/{run.Bank}/reconciliation-difference"),
            ["statements"] = statements,
            ["statement with its records"] = await ReviewedRun.GetJsonAsync(client, $"/api/v1/statements/{statementId}"),
            ["account"] = await ReviewedRun.GetJsonAsync(client, $"/api/v1/accounts/{run.Bank}"),
            ["audit trail"] = await ReviewedRun.GetJsonAsync(client, $"/api/v1/accounts/{run.Bank}/audit-trail"),
            ["transaction"] = await ReviewedRun.GetJsonAsync(client, $"/api/v1/transactions/{run.Lonely}"),
        };

        var bad = new List<string>();
        foreach (var (name, body) in responses)
        {
            MoneyOneWay(body, name, bad);
        }

        Assert.Empty(bad);
        // And the values agree: the break of the mismatch is 0.50 beyond the ledger, its detail both sides both ways.
        var mismatch = Assert.Single(responses["breaks"].GetProperty("breaks").EnumerateArray(), b => b.GetProperty("kind").GetString() == "amount_mismatch");
        Assert.Equal(("0.50", 50L), (mismatch.GetProperty("amount").GetString(), mismatch.GetProperty("amount_minor").GetInt64()));
        var detail = mismatch.GetProperty("detail");
        Assert.Equal(("20.00", 2000L, "20.50", 2050L),
            (detail.GetProperty("ledger_amount").GetString(), detail.GetProperty("ledger_amount_minor").GetInt64(),
             detail.GetProperty("statement_amount").GetString(), detail.GetProperty("statement_amount_minor").GetInt64()));
        var lonely = Assert.Single(responses["run"].GetProperty("breaks").EnumerateArray(), b => b.GetProperty("kind").GetString() == "unmatched_internal");
        Assert.Equal(("7.25", 725L), (lonely.GetProperty("amount").GetString(), lonely.GetProperty("amount_minor").GetInt64()));
        var reconciledMismatch = Assert.Single(run.Reconciled.GetProperty("details").GetProperty("amount_mismatches").EnumerateArray());
        Assert.Equal("20.50", reconciledMismatch.GetProperty("statement_amount").GetString());
    }

    [Theory]
    [InlineData("Accept")]
    [InlineData("format")]
    public async Task The_csv_export_streams_every_break_as_rfc_4180_with_a_header_both_money_forms_and_formula_text_defused(string how)
    {
        var run = await ReviewedRun.SeedAsync(api, _p + how[..1]);
        using var client = api.Client();
        using var request = new HttpRequestMessage(HttpMethod.Get,
            $"/api/v1/reconciliations/{run.RunId}/breaks" + (how == "format" ? "?format=csv&limit=1" : "?limit=1"));
        if (how == "Accept")
        {
            request.Headers.Accept.ParseAdd("text/csv");
        }

        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var json = await ReviewedRun.GetJsonAsync(client, $"/api/v1/reconciliations/{run.RunId}/breaks?limit=500");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        var records = ReviewedRun.ParseCsv(text);
        Assert.Equal(BreaksExport.Columns, records[0]);
        var rows = records.Skip(1).Select(r => BreaksExport.Columns.Zip(r).ToDictionary(c => c.First, c => c.Second)).ToList();
        // Every break, not one page (limit=1 is for JSON pages), each the same as JSON says.
        Assert.Equal(json.GetProperty("breaks").GetArrayLength(), rows.Count);
        Assert.Equal(4, rows.Count);
        Assert.All(rows, r => Assert.Equal(BreaksExport.Columns.Length, r.Count));
        var odd = Assert.Single(rows, r => r["amount_minor"] == "-310");
        Assert.Equal(("-3.10", "USD", "unmatched_external"), (odd["amount"], odd["currency"], odd["kind"]));
        Assert.Equal("'" + ReviewedRun.Formula, odd["reference"]);
        Assert.Equal(ReviewedRun.Quoted, odd["counterparty"]);
        Assert.Equal(ReviewedRun.TwoLines, odd["description"]);
        Assert.Equal(DateTime.UtcNow.Date.AddDays(-45).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), odd["item_date"]);
        var other = Assert.Single(rows, r => r["amount_minor"] == "9900");
        Assert.Equal(("'@SUM(A1)", "'+1-2", ReviewedRun.Markup), (other["reference"], other["description"], other["counterparty"]));
        Assert.Equal(run.Lonely.ToString(), Assert.Single(rows, r => r["kind"] == "unmatched_internal")["transaction_id"]);
    }

    [Fact]
    public async Task Breaks_are_json_pages_by_default_and_an_unknown_format_or_run_is_refused()
    {
        var run = await ReviewedRun.SeedAsync(api, _p);
        using var client = api.Client();
        var first = await ReviewedRun.GetJsonAsync(client, $"/api/v1/reconciliations/{run.RunId}/breaks?limit=3");
        var rest = await ReviewedRun.GetJsonAsync(client, $"/api/v1/reconciliations/{run.RunId}/breaks?limit=3&cursor={first.GetProperty("next_cursor").GetString()}");
        using var xml = await client.GetAsync($"/api/v1/reconciliations/{run.RunId}/breaks?format=xml");
        using var unknown = await client.GetAsync($"/api/v1/reconciliations/{Guid.NewGuid()}/breaks?format=csv");

        Assert.Equal((3, 1), (first.GetProperty("breaks").GetArrayLength(), rest.GetProperty("breaks").GetArrayLength()));
        Assert.Equal((HttpStatusCode.BadRequest, "format"), (xml.StatusCode, (await ApiFixture.JsonAsync(xml)).GetProperty("field").GetString()));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task The_report_is_one_html_page_with_the_totals_the_chart_and_every_text_encoded_under_a_csp_that_allows_only_its_own_style_and_script()
    {
        var run = await ReviewedRun.SeedAsync(api, _p);
        using var client = api.Client();
        using var response = await client.GetAsync($"/api/v1/reconciliations/{run.RunId}/report");
        var html = await response.Content.ReadAsStringAsync();
        using var anonymous = api.Factory.CreateClient();
        using var refused = await anonymous.GetAsync($"/api/v1/reconciliations/{run.RunId}/report");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
        var csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.StartsWith("default-src 'none'; style-src 'sha256-", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("""<b id="unmatched-internal">1</b><span>7.25 USD</span>""", html, StringComparison.Ordinal);
        Assert.Contains("""<b id="mismatches">1</b><span>statement − ledger: 0.50 USD</span>""", html, StringComparison.Ordinal);
        Assert.Contains("""<b id="unmatched-external">2</b><span>95.90 USD</span>""", html, StringComparison.Ordinal);
        Assert.Contains("<svg id=\"ageing\"", html, StringComparison.Ordinal);
        Assert.True(html.Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;", StringComparison.Ordinal), html[html.IndexOf("alert", StringComparison.Ordinal)..][..200]);
        Assert.DoesNotContain(ReviewedRun.Markup, html, StringComparison.Ordinal);
        Assert.Contains($"href=\"../../transactions/{run.Lonely}\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http://", html.Replace("xmlns=\"http://www.w3.org/2000/svg\"", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\"")]
    [InlineData("two\r\nlines", "\"two\r\nlines\"")]
    [InlineData("=1+2", "'=1+2")]
    [InlineData("+1", "'+1")]
    [InlineData("-1", "'-1")]
    [InlineData("@A1", "'@A1")]
    [InlineData("\tx", "'\tx")]
    [InlineData("=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"")]
    [InlineData("", "")]
    public void A_csv_text_field_is_quoted_as_rfc_4180_says_and_formula_text_is_prefixed_with_a_quote(string value, string written) =>
        Assert.Equal(written, BreaksExport.Text(value));
}
