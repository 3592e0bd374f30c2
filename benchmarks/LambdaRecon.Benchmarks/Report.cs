using System.Diagnostics;

namespace LambdaRecon.Benchmarks;

internal static class Report
{
    public static void Memory()
    {
        using var process = Process.GetCurrentProcess();
        var gc = GC.GetGCMemoryInfo();
        Console.WriteLine($"peak working set:     {process.PeakWorkingSet64 / (1024.0 * 1024):N0} MiB");
        Console.WriteLine($"managed heap now:     {GC.GetTotalMemory(forceFullCollection: false) / (1024.0 * 1024):N0} MiB (committed {gc.TotalCommittedBytes / (1024.0 * 1024):N0} MiB)");
        Console.WriteLine($"gc collections:       gen0 {GC.CollectionCount(0)}, gen1 {GC.CollectionCount(1)}, gen2 {GC.CollectionCount(2)}; {Environment.ProcessorCount} cores, server GC {System.Runtime.GCSettings.IsServerGC}");
    }
}
