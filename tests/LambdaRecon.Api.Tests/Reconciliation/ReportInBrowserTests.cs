using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace LambdaRecon.Api.Tests.Reconciliation;

/// <summary>
/// The report in a real browser: headless Chromium (/usr/bin/chromium, installed by scripts/services.sh) loads the page of a
/// seeded run from the API served by Kestrel, and the test reads the DOM it rendered and what it logged. Set
/// LAMBDARECON_REPORT_SCREENSHOT to a path to keep the screenshot (docs/images/report.png is made so).
/// </summary>
public sealed class ReportInBrowserTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    /// <summary>A browser cannot be told to send a bearer key on a plain navigation; this stands in for the header a person's proxy or extension adds.</summary>
    private sealed class BearerFromTest(string key) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, following) =>
            {
                context.Request.Headers.Authorization = $"Bearer {key}";
                return following(context);
            });
            next(app);
        };
    }

    private static async Task<(string Out, string Err)> ChromiumAsync(params string[] arguments)
    {
        const string chromium = "/usr/bin/chromium";
        Assert.True(File.Exists(chromium), "headless Chromium is missing: ./test.sh installs it (apt-get install chromium)");
        var profile = Directory.CreateTempSubdirectory("lambdarecon-chromium-");
        try
        {
            var start = new ProcessStartInfo(chromium)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var argument in (string[])["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                         "--enable-logging=stderr", "--v=0", $"--user-data-dir={profile.FullName}", .. arguments])
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            await process.WaitForExitAsync(guard.Token);
            return (await output, await error);
        }
        finally
        {
            profile.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Chromium_renders_the_report_with_its_totals_chart_and_breaks_runs_its_filter_script_and_reports_no_csp_violation()
    {
        var run = await ReviewedRun.SeedAsync(api, "rb" + Guid.NewGuid().ToString("N")[..8]);
        await using var served = api.CreateFactory().WithWebHostBuilder(web =>
            web.ConfigureServices(services => services.AddSingleton<IStartupFilter>(new BearerFromTest(api.AdminKey))));
        served.UseKestrel(0);
        served.StartServer();
        var address = served.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var url = $"{address}/api/v1/reconciliations/{run.RunId}/report";

        var (dom, log) = await ChromiumAsync("--dump-dom", url);

        Assert.Contains("data-filters=\"ready\"", dom, StringComparison.Ordinal);
        Assert.Contains("""<b id="unmatched-internal">1</b><span>7.25 USD</span>""", dom, StringComparison.Ordinal);
        Assert.Contains("""<b id="matched">1</b>""", dom, StringComparison.Ordinal);
        Assert.Contains("<svg id=\"ageing\"", dom, StringComparison.Ordinal);
        Assert.Equal(5, dom.Split("class=\"bar\"").Length - 1);
        Assert.Contains($"<tr id=\"break-", dom, StringComparison.Ordinal);
        Assert.Contains($"href=\"../../transactions/{run.Lonely}\"", dom, StringComparison.Ordinal);
        Assert.Contains("""<span id="shown">4</span>""", dom, StringComparison.Ordinal);
        // The script that Chromium ran wrote no element from the statement's text: the markup in it stayed text.
        Assert.DoesNotContain("<script>alert", dom, StringComparison.Ordinal);
        Assert.DoesNotContain("Content Security Policy", log, StringComparison.Ordinal);
        Assert.DoesNotContain("Refused to", log, StringComparison.Ordinal);

        // docs/images/report.png: a second browser start, only when asked for (LAMBDARECON_REPORT_SCREENSHOT=<file.png>).
        if (Environment.GetEnvironmentVariable("LAMBDARECON_REPORT_SCREENSHOT") is { Length: > 0 } keep)
        {
            var (_, shotLog) = await ChromiumAsync($"--screenshot={keep}", "--window-size=1280,1000", url);
            Assert.DoesNotContain("Refused to", shotLog, StringComparison.Ordinal);
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], (await File.ReadAllBytesAsync(keep))[..4]);
        }
    }
}
