// The sort behind Array.Sort and List<T>.Sort: introsort as .NET does it (insertion sort for
// small ranges, median-of-three quicksort, heapsort when the recursion gets deep), so equal
// elements end where .NET leaves them for the common cases. Not stable, like .NET's.
namespace System.Collections.Generic;

internal static class ArraySort<T>
{
    public static void Sort(T[] items, int index, int length, IComparer<T> comparer)
        => Sort(items, index, length, comparer.Compare);

    public static void Sort(T[] items, int index, int length, Comparison<T> comparison)
    {
        if (index < 0 || length < 0 || items.Length - index < length)
            throw new ArgumentOutOfRangeException("index", "index and length do not denote a range of the array.");
        if (length > 1)
            IntroSort(items, index, index + length - 1, 2 * (Log2(length) + 1), comparison);
    }

    private static int Log2(int n)
    {
        int log = 0;
        while ((n >>= 1) != 0)
            log++;
        return log;
    }

    private static void SwapIfGreater(T[] a, Comparison<T> cmp, int i, int j)
    {
        if (i != j && cmp(a[i], a[j]) > 0)
            (a[i], a[j]) = (a[j], a[i]);
    }

    private static void IntroSort(T[] a, int lo, int hi, int depthLimit, Comparison<T> cmp)
    {
        while (hi > lo)
        {
            int size = hi - lo + 1;
            if (size <= 16)
            {
                if (size == 2) { SwapIfGreater(a, cmp, lo, hi); return; }
                if (size == 3) { SwapIfGreater(a, cmp, lo, hi - 1); SwapIfGreater(a, cmp, lo, hi); SwapIfGreater(a, cmp, hi - 1, hi); return; }
                InsertionSort(a, lo, hi, cmp);
                return;
            }
            if (depthLimit == 0)
            {
                HeapSort(a, lo, hi, cmp);
                return;
            }
            depthLimit--;
            int p = Partition(a, lo, hi, cmp);
            IntroSort(a, p + 1, hi, depthLimit, cmp);
            hi = p - 1;
        }
    }

    private static int Partition(T[] a, int lo, int hi, Comparison<T> cmp)
    {
        int mid = lo + ((hi - lo) >> 1);
        SwapIfGreater(a, cmp, lo, mid);
        SwapIfGreater(a, cmp, lo, hi);
        SwapIfGreater(a, cmp, mid, hi);
        T pivot = a[mid];
        (a[mid], a[hi - 1]) = (a[hi - 1], a[mid]);
        int left = lo, right = hi - 1;
        while (left < right)
        {
            while (cmp(a[++left], pivot) < 0) { }
            while (cmp(pivot, a[--right]) < 0) { }
            if (left >= right)
                break;
            (a[left], a[right]) = (a[right], a[left]);
        }
        if (left != hi - 1)
            (a[left], a[hi - 1]) = (a[hi - 1], a[left]);
        return left;
    }

    private static void InsertionSort(T[] a, int lo, int hi, Comparison<T> cmp)
    {
        for (int i = lo; i < hi; i++)
        {
            int j = i;
            T t = a[i + 1];
            while (j >= lo && cmp(t, a[j]) < 0)
            {
                a[j + 1] = a[j];
                j--;
            }
            a[j + 1] = t;
        }
    }

    private static void HeapSort(T[] a, int lo, int hi, Comparison<T> cmp)
    {
        int n = hi - lo + 1;
        for (int i = n >> 1; i >= 1; i--)
            DownHeap(a, i, n, lo, cmp);
        for (int i = n; i > 1; i--)
        {
            (a[lo], a[lo + i - 1]) = (a[lo + i - 1], a[lo]);
            DownHeap(a, 1, i - 1, lo, cmp);
        }
    }

    private static void DownHeap(T[] a, int i, int n, int lo, Comparison<T> cmp)
    {
        T d = a[lo + i - 1];
        while (i <= n >> 1)
        {
            int child = 2 * i;
            if (child < n && cmp(a[lo + child - 1], a[lo + child]) < 0)
                child++;
            if (!(cmp(d, a[lo + child - 1]) < 0))
                break;
            a[lo + i - 1] = a[lo + child - 1];
            i = child;
        }
        a[lo + i - 1] = d;
    }
}
