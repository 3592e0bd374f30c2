namespace LambdaRecon.Core.Reconciliation;

/// <summary>
/// Finds the first position at or after a given one that is still free, over a sorted candidate array
/// from which matched items are taken. Path compression makes a scan skip a run of taken positions
/// in near-constant amortized time, so rules never walk over matched items twice.
/// </summary>
internal sealed class FreeList
{
    // _next[i] == i: free; otherwise a position no later than the next free one after i.
    private readonly int[] _next;

    public FreeList(int count)
    {
        _next = new int[count + 1];
        for (var i = 0; i <= count; i++)
        {
            _next[i] = i;
        }
    }

    /// <summary>The first free position ≥ <paramref name="position"/>; the count when none is left.</summary>
    public int NextFree(int position)
    {
        var root = position;
        while (_next[root] != root)
        {
            root = _next[root];
        }

        while (_next[position] != root)
        {
            (position, _next[position]) = (_next[position], root);
        }

        return root;
    }

    public void Take(int position) => _next[position] = position + 1;
}
