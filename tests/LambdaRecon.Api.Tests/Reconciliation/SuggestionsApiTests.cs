using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace LambdaRecon.Api.Tests.Reconciliation;

public sealed class SuggestionsApiTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private readonly string _p = "s" + Guid.NewGuid().ToString("N")[..8];

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static string Day(int offset) => DateTime.UtcNow.Date.AddDays(offset).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Two payments of 5.00 the same day into a bank account, and a statement with one 5.00 line naming neither.</summary>
    private async Task<(string Bank, Guid A, Guid B, HttpClient Client)> TwinPaymentsAsync()
    {
        var customer = await api.OpenAccountAsync(_p + "-customer", overdraftLimit: null);
        var bank = await api.OpenAccountAsync(_p + "-bank");
        await api.DrainQueueAsync();
        var client = api.Client();
        var ids = new List<Guid>();
        foreach (var key in new[] { "a", "b" })
        {
            using var response = await client.PostAsync("/api/v1/transactions", Json(
                $$"""{"transaction":{"source_account_id":"{{customer}}","destination_account_id":"{{bank}}","amount":"5.00"},"idempotencyKey":"{{_p}}-{{key}}"}"""));
            ids.Add((await ApiFixture.JsonAsync(response)).GetProperty("transactionId").GetGuid());
        }

        await api.PostQueuedAsync();
        using var imported = await client.PostAsync($"/api/v1/statements?account_id={bank}&format=csv",
            new StringContent($"Date,Amount,Currency,Reference\n{Day(0)},5.00,USD,\n", Encoding.UTF8, "text/csv"));
        Assert.Equal(HttpStatusCode.Created, imported.StatusCode);
        return (bank, ids[0], ids[1], client);
    }

    private static async Task<(Guid RunId, JsonElement Run)> ReconcileAsync(HttpClient client, string bank)
    {
        var run = await ApiFixture.JsonAsync(await client.PostAsync($"/api/v1/accounts/{bank}/reconcile", Json("{}")));
        return (run.GetProperty("run_id").GetGuid(), run);
    }

    [Fact]
    public async Task A_common_amount_is_suggested_not_matched_and_accepting_a_rival_matches_it_closes_its_break_and_is_audited()
    {
        var (bank, a, b, client) = await TwinPaymentsAsync();
        using var _ = client;

        var (runId, run) = await ReconcileAsync(client, bank);
        var listed = await client.GetFromJsonAsync<JsonElement>($"/api/v1/reconciliations/{runId}/suggestions");
        var suggestion = Assert.Single(listed.GetProperty("suggestions").EnumerateArray());
        var id = suggestion.GetProperty("suggestion_id").GetGuid();
        var candidates = suggestion.GetProperty("candidates");
        var rival = candidates[1].GetProperty("transaction_ids")[0].GetGuid();

        using var noNote = await client.PostAsync($"/api/v1/reconciliations/suggestions/{id}/accept", Json("{}"));
        using var noCandidate = await client.PostAsync($"/api/v1/reconciliations/suggestions/{id}/accept", Json("""{"candidate":7,"note":"x"}"""));
        using var unknown = await client.PostAsync($"/api/v1/reconciliations/suggestions/{Guid.NewGuid()}/accept", Json("""{"note":"x"}"""));
        using var accepted = await client.PostAsync($"/api/v1/reconciliations/suggestions/{id}/accept", Json("""{"candidate":1,"note":"customer confirmed"}"""));
        using var again = await client.PostAsync($"/api/v1/reconciliations/suggestions/{id}/reject", Json("""{"note":"changed my mind"}"""));
        var after = await client.GetFromJsonAsync<JsonElement>($"/api/v1/reconciliations/{runId}");
        var trail = await ApiFixture.JsonAsync(await client.GetAsync($"/api/v1/accounts/{bank}/audit-trail"));
        var (_, next) = await ReconcileAsync(client, bank);

        // Neither payment is matched by amount alone: one is proposed, the other listed, the line is held.
        Assert.Equal((0, 1, 0, 1), (run.GetProperty("matched").GetInt32(), run.GetProperty("unmatched_internal").GetInt32(),
            run.GetProperty("unmatched_external").GetInt32(), run.GetProperty("suggestions").GetInt32()));
        Assert.Equal(new[] { a, b }.Order(), candidates.EnumerateArray().Select(c => c.GetProperty("transaction_ids")[0].GetGuid()).Order());
        Assert.Equal(("AmountAndDate", "pending"), (candidates[0].GetProperty("rule").GetString(), suggestion.GetProperty("status").GetString()));
        Assert.Equal(HttpStatusCode.BadRequest, noNote.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, noCandidate.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal(2L, await api.CountAsync($"SELECT count(*) FROM reconciliation_matches WHERE account_id = '{bank}' AND (transaction_id = '{rival}' OR line_id IS NOT NULL)"));
        // The rival was reported as unmatched in the run; matched now, its break is settled with the note.
        var settled = Assert.Single(after.GetProperty("breaks").EnumerateArray());
        Assert.Equal((rival, "explained"), (settled.GetProperty("transaction_id").GetGuid(), settled.GetProperty("status").GetString()));
        var audited = Assert.Single(trail.GetProperty("events").EnumerateArray(), e => e.GetProperty("event").GetString() == "suggestion.accepted");
        Assert.Equal("customer confirmed", audited.GetProperty("detail").GetProperty("note").GetString());
        // The proposal's payment, held by the suggestion before, is free again: the next run reports it.
        var proposal = candidates[0].GetProperty("transaction_ids")[0].GetString();
        Assert.Equal([proposal], next.GetProperty("details").GetProperty("unmatched_internal").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal((0, 0), (next.GetProperty("matched").GetInt32(), next.GetProperty("suggestions").GetInt32()));
    }

    [Fact]
    public async Task Rejecting_turns_the_proposal_into_breaks_and_a_later_run_supersedes_what_is_still_pending()
    {
        var (bank, _, _, client) = await TwinPaymentsAsync();
        using var _c = client;

        var (first, _) = await ReconcileAsync(client, bank);
        var (second, _) = await ReconcileAsync(client, bank);
        var stale = (await client.GetFromJsonAsync<JsonElement>($"/api/v1/reconciliations/{first}/suggestions")).GetProperty("suggestions")[0];
        var current = (await client.GetFromJsonAsync<JsonElement>($"/api/v1/reconciliations/{second}/suggestions")).GetProperty("suggestions")[0];
        using var lateAccept = await client.PostAsync($"/api/v1/reconciliations/suggestions/{stale.GetProperty("suggestion_id").GetGuid()}/accept", Json("""{"note":"x"}"""));
        using var rejected = await client.PostAsync($"/api/v1/reconciliations/suggestions/{current.GetProperty("suggestion_id").GetGuid()}/reject", Json("""{"note":"not ours"}"""));
        var run = await client.GetFromJsonAsync<JsonElement>($"/api/v1/reconciliations/{second}");

        Assert.Equal("superseded", stale.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.Conflict, lateAccept.StatusCode);
        Assert.Equal(HttpStatusCode.OK, rejected.StatusCode);
        Assert.Equal(0L, await api.CountAsync($"SELECT count(*) FROM reconciliation_matches WHERE account_id = '{bank}'"));
        // The run's breaks: the rival reported as unmatched by the run, and the proposal's two items, open, by the rejection.
        var breaks = run.GetProperty("breaks").EnumerateArray().ToArray();
        Assert.Equal(3, breaks.Length);
        Assert.All(breaks, b => Assert.Equal("open", b.GetProperty("status").GetString()));
        Assert.Equal(2, breaks.Count(b => b.GetProperty("detail").TryGetProperty("rejected_suggestion_id", out _)));
    }

    [Fact]
    public async Task A_rejected_suggestion_is_not_proposed_again_its_items_stay_breaks_and_may_still_pair_with_a_new_line()
    {
        var (bank, a, b, client) = await TwinPaymentsAsync();
        using var _c = client;

        var (first, _) = await ReconcileAsync(client, bank);
        var (second, _) = await ReconcileAsync(client, bank);
        var stale = (await client.GetFromJsonAsync<JsonElement>($"/api/v1/reconciliations/{first}/suggestions")).GetProperty("suggestions")[0];
        var current = (await client.GetFromJsonAsync<JsonElement>($"/api/v1/reconciliations/{second}/suggestions")).GetProperty("suggestions")[0];
        var line = current.GetProperty("candidates")[0].GetProperty("line_ids")[0].GetString();
        using var lateReject = await client.PostAsync($"/api/v1/reconciliations/suggestions/{stale.GetProperty("suggestion_id").GetGuid()}/reject", Json("""{"note":"x"}"""));
        var lateProblem = await ApiFixture.JsonAsync(lateReject);
        using var rejected = await client.PostAsync($"/api/v1/reconciliations/suggestions/{current.GetProperty("suggestion_id").GetGuid()}/reject", Json("""{"note":"neither is ours"}"""));
        var (thirdId, third) = await ReconcileAsync(client, bank);
        var thirdSuggestions = await client.GetFromJsonAsync<JsonElement>($"/api/v1/reconciliations/{thirdId}/suggestions");

        // A second line of 5.00 arrives: the payments may pair with it, never again with the rejected line.
        using var imported = await client.PostAsync($"/api/v1/statements?account_id={bank}&format=csv",
            new StringContent($"Date,Amount,Currency,Reference\n{Day(0)},5.00,USD,second\n", Encoding.UTF8, "text/csv"));
        var (fourthId, fourth) = await ReconcileAsync(client, bank);
        var fourthSuggestion = Assert.Single((await client.GetFromJsonAsync<JsonElement>($"/api/v1/reconciliations/{fourthId}/suggestions")).GetProperty("suggestions").EnumerateArray());

        // Deciding on a superseded suggestion is refused clearly and changes nothing.
        Assert.Equal(HttpStatusCode.Conflict, lateReject.StatusCode);
        Assert.Contains("superseded", lateProblem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, rejected.StatusCode);
        // The next run proposes neither payment with the line: both payments and the line are breaks, nothing is suggested or matched.
        Assert.Equal((0, 2, 1, 0), (third.GetProperty("matched").GetInt32(), third.GetProperty("unmatched_internal").GetInt32(),
            third.GetProperty("unmatched_external").GetInt32(), third.GetProperty("suggestions").GetInt32()));
        Assert.Equal(new[] { a, b }.Order(), third.GetProperty("details").GetProperty("unmatched_internal").EnumerateArray().Select(e => e.GetGuid()).Order());
        Assert.Equal([line], third.GetProperty("details").GetProperty("unmatched_external").EnumerateArray().Select(e => e.GetString()));
        Assert.Empty(thirdSuggestions.GetProperty("suggestions").EnumerateArray());
        Assert.Equal(HttpStatusCode.Created, imported.StatusCode);
        Assert.Equal((0, 1), (fourth.GetProperty("matched").GetInt32(), fourth.GetProperty("suggestions").GetInt32()));
        var candidates = fourthSuggestion.GetProperty("candidates").EnumerateArray().ToArray();
        Assert.Equal(2, candidates.Length);
        Assert.All(candidates, c => Assert.NotEqual(line, Assert.Single(c.GetProperty("line_ids").EnumerateArray()).GetString()));
        Assert.Equal([line], fourth.GetProperty("details").GetProperty("unmatched_external").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task An_account_s_match_settings_decide_what_is_only_suggested_unless_the_request_names_them()
    {
        var customer = await api.OpenAccountAsync(_p + "-c2", overdraftLimit: null);
        var bank = await api.OpenAccountAsync(_p + "-b2");
        await api.DrainQueueAsync();
        using var client = api.Client();
        using var paid = await client.PostAsync("/api/v1/transactions", Json(
            $$"""{"transaction":{"source_account_id":"{{customer}}","destination_account_id":"{{bank}}","amount":"12.34"},"idempotencyKey":"{{_p}}-u"}"""));
        await api.PostQueuedAsync();
        await client.PostAsync($"/api/v1/statements?account_id={bank}&format=csv",
            new StringContent($"Date,Amount,Currency,Reference\n{Day(1)},12.34,USD,\n", Encoding.UTF8, "text/csv"));

        var defaults = await client.GetFromJsonAsync<JsonElement>($"/api/v1/accounts/{bank}/match-settings");
        using var refused = await client.PutAsync($"/api/v1/accounts/{bank}/match-settings", Json("""{"auto_match_threshold":101,"ambiguity_margin":10}"""));
        using var set = await client.PutAsync($"/api/v1/accounts/{bank}/match-settings", Json("""{"auto_match_threshold":95,"ambiguity_margin":10}"""));
        var strict = await ApiFixture.JsonAsync(await client.PostAsync($"/api/v1/accounts/{bank}/reconcile", Json("""{"dry_run":true}""")));
        var overridden = await ApiFixture.JsonAsync(await client.PostAsync($"/api/v1/accounts/{bank}/reconcile", Json("""{"dry_run":true,"auto_match_threshold":40}""")));

        Assert.Equal((40, 10), (defaults.GetProperty("auto_match_threshold").GetInt32(), defaults.GetProperty("ambiguity_margin").GetInt32()));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        // A unique amount a day late scores 40 + 13 = 53: under 95, only suggested; at 40, matched.
        Assert.Equal((0, 1), (strict.GetProperty("matched").GetInt32(), strict.GetProperty("suggestions").GetInt32()));
        Assert.Equal((1, 0), (overridden.GetProperty("matched").GetInt32(), overridden.GetProperty("suggestions").GetInt32()));
    }
}
