using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace LambdaRecon.Api.Tests.Reconciliation;

/// <summary>
/// A seeded run to review: one posting matched by its reference, one whose statement line says 0.50 more (a mismatch), one
/// the statement lacks, and statement lines nobody posted whose texts are what a CSV or HTML writer must not trust.
/// </summary>
public sealed record ReviewedRun(string Bank, Guid RunId, Guid Matched, Guid Mismatched, Guid Lonely, JsonElement Reconciled)
{
    public const string Formula = "=cmd|' /C calc'!A0";
    public const string Quoted = "Smith, \"Bob\" & Co";
    public const string TwoLines = "first line\nsecond line";
    public const string Markup = "<script>alert('x')</script>";

    public static async Task<ReviewedRun> SeedAsync(ApiFixture api, string prefix)
    {
        var customer = await api.OpenAccountAsync(prefix + "-customer", overdraftLimit: null);
        var bank = await api.OpenAccountAsync(prefix + "-bank");
        using var client = api.Client();
        var ids = new List<Guid>();
        foreach (var (key, amount) in new[] { ("inv-1", "10.00"), ("inv-2", "20.00"), ("lonely", "7.25") })
        {
            using var response = await client.PostAsync("/api/v1/transactions", new StringContent(
                $$"""{"transaction":{"source_account_id":"{{customer}}","destination_account_id":"{{bank}}","amount":"{{amount}}"},"idempotencyKey":"{{prefix}}-{{key}}"}""",
                Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            ids.Add((await ApiFixture.JsonAsync(response)).GetProperty("transactionId").GetGuid());
        }

        await api.PostQueuedAsync();
        var day = DateTime.UtcNow.Date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var old = DateTime.UtcNow.Date.AddDays(-45).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        static string Q(string s) => "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
        var csv = $"""
            Date,Value Date,Amount,Currency,Reference,Counterparty,Description
            {day},{day},10.00,USD,{prefix}-inv-1,Customer,Invoice 1
            {day},{day},20.50,USD,{prefix}-inv-2,Customer,Invoice 2
            {old},{old},-3.10,USD,{Q(Formula)},{Q(Quoted)},{Q(TwoLines)}
            {day},{day},99.00,USD,@SUM(A1),{Q(Markup)},+1-2
            """;
        using (var imported = await client.PostAsync($"/api/v1/statements?account_id={bank}&format=csv", new StringContent(csv, Encoding.UTF8, "text/csv")))
        {
            Assert.Equal(HttpStatusCode.Created, imported.StatusCode);
        }

        using var reconciled = await client.PostAsync($"/api/v1/accounts/{bank}/reconcile", null);
        Assert.Equal(HttpStatusCode.OK, reconciled.StatusCode);
        var body = await ApiFixture.JsonAsync(reconciled);
        return new ReviewedRun(bank, body.GetProperty("run_id").GetGuid(), ids[0], ids[1], ids[2], body);
    }

    /// <summary>RFC 4180 read back, written here rather than borrowed from the code under test.</summary>
    public static List<List<string>> ParseCsv(string text)
    {
        var records = new List<List<string>>();
        var record = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"' && field.Length == 0)
            {
                quoted = true;
            }
            else if (c == ',')
            {
                record.Add(field.ToString());
                field.Clear();
            }
            else if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                record.Add(field.ToString());
                field.Clear();
                records.Add(record);
                record = [];
                i++;
            }
            else
            {
                Assert.False(c is '\r' or '\n' or '"', $"a bare {(int)c} outside quotes at {i}: RFC 4180 ends records with CRLF and quotes such fields");
                field.Append(c);
            }
        }

        Assert.True(field.Length == 0 && record.Count == 0, "the last record ends with CRLF");
        return records;
    }

    public static async Task<JsonElement> GetJsonAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await ApiFixture.JsonAsync(response);
    }
}
