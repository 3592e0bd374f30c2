namespace LambdaRecon.Benchmarks;

/// <summary>"--name value" pairs; a benchmark asks for the ones it knows with their defaults.</summary>
public sealed class Options(string[] args)
{
    public int Number(string name, int fallback)
    {
        var at = Array.IndexOf(args, "--" + name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
    }
}

public static class Percentiles
{
    /// <summary>The value at the given percentile (nearest rank) of samples in microseconds, shown in milliseconds.</summary>
    public static string Ms(List<long> microseconds, int percentile)
    {
        microseconds.Sort();
        var rank = Math.Max(0, (int)Math.Ceiling(percentile / 100m * microseconds.Count) - 1);
        return (microseconds[rank] / 1000m).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture);
    }
}
