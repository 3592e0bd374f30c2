namespace LambdaRecon.Core.Reconciliation;

internal static class Sorted
{
    /// <summary>The first position whose element is not less than the key: where the key's run starts.</summary>
    public static int LowerBound<T>(T[] sorted, T key)
        where T : IComparable<T>
    {
        int low = 0, high = sorted.Length;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (sorted[middle].CompareTo(key) < 0)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }
}
