// Throwing and catching: NativeAOT's two-pass model, in our own words.
//   Pass 1 walks the stack from the throw site (Unwinder over ILC's CFI) and asks each frame's
//   clauses, innermost first, whether they catch: a typed clause by type, a filter by running
//   its funclet. Nothing is unwound yet, so a filter sees the stack as it was.
//   Pass 2 walks the same frames again and runs every finally (fault) clause the exception
//   leaves, up to the catching frame, then calls the catch funclet and resumes the method at
//   the address the funclet returns, on that frame's stack (Native/exceptions.S).
// Funclets run on top of the dispatcher. When an exception leaves a funclet, the walk meets the
// thunk that called it; it then continues in the funclet's parent frame as recorded when the
// funclet was called, skipping the clauses that already handled the first exception (and those
// nested in them), as .NET does. An exception no clause catches ends the domain (NativeAOT
// fails fast: finally blocks do not run) with the throw site in the crash report.
using System;
using System.Runtime;
using System.Runtime.CompilerServices;

namespace Internal.Runtime;

internal static unsafe class ExceptionDispatch
{
    /// <summary>A funclet that is running: where its parent frame was, which clause it belongs
    /// to, and (for catches) the exception it handles, for `throw;`.</summary>
    private struct FuncletCall
    {
        public RegisterContext Parent;
        public bool ParentActive;
        public int Clause;
        public bool IsCatch;
        /// <summary>An address in the dispatcher frame below the thunk: when execution resumes
        /// above it, this call is over.</summary>
        public ulong DispatcherSp;
        public object? Exception;
    }

    private const int MaxNesting = 64;
    private static FuncletCall[]? s_calls;
    private static int s_depth;

    [RuntimeImport("*", "ParaKitCallCatchFunclet"), MethodImpl(MethodImplOptions.InternalCall)]
    private static extern void CallCatchFunclet(object exception, ulong handler, RegisterContext* frame);

    [RuntimeImport("*", "ParaKitCallFinallyFunclet"), MethodImpl(MethodImplOptions.InternalCall)]
    private static extern void CallFinallyFunclet(ulong handler, RegisterContext* frame);

    [RuntimeImport("*", "ParaKitCallFilterFunclet"), MethodImpl(MethodImplOptions.InternalCall)]
    private static extern ulong CallFilterFunclet(object exception, ulong filter, RegisterContext* frame);

    [RuntimeImport("*", "ParaKitResumeFilterCaller"), MethodImpl(MethodImplOptions.InternalCall)]
    private static extern void ResumeFilterCaller(RegisterContext* at);

    /// <summary>Walks frames the way both passes need: thunks of running funclets are replaced by
    /// the funclet's parent frame (with its handled clauses skipped).</summary>
    private struct FrameWalk
    {
        public RegisterContext Context;
        public bool Active;
        public int SkipUpTo;
        public int Cursor;
        public int Index;
        public Unwinder.Fde Fde;
        public MethodEhInfo Method;
        public bool AtFilterBoundary;

        public FrameWalk(RegisterContext* start, bool active)
        {
            Context = *start;
            Active = active;
            SkipUpTo = -1;
            Cursor = s_depth;
            Index = 0;
            Fde = default;
            Method = default;
            AtFilterBoundary = false;
        }

        /// <summary>Makes the current frame ready; false when there is no managed frame here
        /// (the walk left the code ILC compiled, or met a filter's thunk).</summary>
        public bool Settle()
        {
            ulong rip = Context.Rip;
            if (rip == Unwinder.CatchFuncletReturn || rip == Unwinder.FinallyFuncletReturn)
            {
                if (Cursor == 0)
                    return false;
                Cursor--;
                ref FuncletCall call = ref s_calls![Cursor];
                Context = call.Parent;
                Active = call.ParentActive;
                SkipUpTo = call.Clause;
            }
            else if (rip == Unwinder.FilterFuncletReturn)
            {
                AtFilterBoundary = true;
                return false;
            }
            ulong pc = Active ? Context.Rip : Context.Rip - 1;
            if (!Unwinder.FindFde(pc, out Fde))
                return false;
            if (!Unwinder.GetMethodInfo(Fde, out Method))
                Method = default;
            return true;
        }

        /// <summary>Offset of the current instruction in its method (inside the call for a return address).</summary>
        public uint Offset => (uint)((Active ? Context.Rip : Context.Rip - 1) - Method.MethodStart);

        public bool Next()
        {
            if (!Unwinder.Step(ref Context, Active, Fde))
                return false;
            Active = false;
            SkipUpTo = -1;
            Index++;
            return Settle();
        }
    }

    [RuntimeExport("ParaKitDispatchThrow")]
    private static void DispatchThrow(object exception, RegisterContext* context) => Dispatch(exception, context, active: false, HardwareFaults.UnhandledException);

    [RuntimeExport("ParaKitDispatchRethrow")]
    private static void DispatchRethrow(RegisterContext* context)
    {
        object? current = null;
        for (int i = s_depth - 1; i >= 0 && current == null; i--)
        {
            if (s_calls![i].IsCatch)
                current = s_calls[i].Exception;
        }
        if (current == null)
            Panic.Fail("rethrow outside a catch block");
        Dispatch(current!, context, active: false, HardwareFaults.UnhandledException);
    }

    /// <summary>A hardware fault the trap handler turned into a throw at the faulting instruction.</summary>
    [RuntimeExport("ParaKitDispatchHardware")]
    private static void DispatchHardware(ulong cause, RegisterContext* context)
    {
        Exception exception = cause switch
        {
            HardwareFaults.DivideByZero => new DivideByZeroException(),
            HardwareFaults.Overflow => new OverflowException(),
            _ => new NullReferenceException(),
        };
        Dispatch(exception, context, active: true, (uint)cause);
    }

    private static void Dispatch(object exception, RegisterContext* throwSite, bool active, uint unhandledCause)
    {
        s_calls ??= new FuncletCall[MaxNesting];
        Unwinder.EnsureIndex();
        // Pass 1: find the catching frame and clause.
        var walk = new FrameWalk(throwSite, active);
        int catchFrame = -1, catchClause = -1;
        ulong handler = 0;
        bool found = walk.Settle();
        while (found)
        {
            if (walk.Method.Clauses != null)
            {
                var clauses = new ClauseReader(walk.Method);
                uint offset = walk.Offset;
                for (int i = 0; clauses.Next(out EhClause c); i++)
                {
                    if (i <= walk.SkipUpTo || offset < c.TryStart || offset >= c.TryEnd || c.Kind == ClauseKind.Fault)
                        continue;
                    bool catches = c.Kind == ClauseKind.Typed
                        ? TypeCast.AreTypesAssignable(exception.m_pEEType, c.CatchType)
                        : RunFilter(exception, c.Filter, ref walk.Context);
                    if (catches)
                    {
                        catchFrame = walk.Index;
                        catchClause = i;
                        handler = c.Handler;
                        break;
                    }
                }
                if (catchFrame >= 0)
                    break;
            }
            found = walk.Next();
        }
        bool escapesFilter = catchFrame < 0 && walk.AtFilterBoundary;
        if (catchFrame < 0 && !escapesFilter)
            Unhandled(exception, throwSite, active, unhandledCause);

        // Pass 2: run the finally clauses the exception leaves, innermost first.
        var second = new FrameWalk(throwSite, active);
        bool more = second.Settle();
        while (more)
        {
            bool isCatchFrame = second.Index == catchFrame;
            if (second.Method.Clauses != null)
            {
                var clauses = new ClauseReader(second.Method);
                uint offset = second.Offset;
                for (int i = 0; clauses.Next(out EhClause c); i++)
                {
                    if (isCatchFrame && i >= catchClause)
                        break;
                    if (i <= second.SkipUpTo || c.Kind != ClauseKind.Fault || offset < c.TryStart || offset >= c.TryEnd)
                        continue;
                    RunFinally(c.Handler, ref second.Context, second.Active, i);
                }
            }
            if (isCatchFrame)
                break;
            more = second.Next();
        }
        if (escapesFilter)
        {
            RegisterContext at = second.Context;
            PruneBelow(at.Rsp);
            ResumeFilterCaller(&at);
        }

        // Call the catch funclet; it resumes the method and never comes back here.
        RegisterContext frame = second.Context;
        Push(ref frame, second.Active, catchClause, isCatch: true, exception);
        CallCatchFunclet(exception, handler, &frame);
        Panic.Fail("catch funclet returned to the dispatcher");
    }

    private static bool RunFilter(object exception, ulong filter, ref RegisterContext frame)
    {
        RegisterContext copy = frame;
        return CallFilterFunclet(exception, filter, &copy) != 0;
    }

    private static void RunFinally(ulong handler, ref RegisterContext frame, bool active, int clause)
    {
        RegisterContext copy = frame;
        Push(ref frame, active, clause, isCatch: false, null);
        CallFinallyFunclet(handler, &copy);
        s_depth--;
    }

    private static void Push(ref RegisterContext parent, bool active, int clause, bool isCatch, object? exception)
    {
        if (s_depth == MaxNesting)
            Panic.Fail("exception handlers nested more than 64 deep");
        ulong here = (ulong)&clause;
        ref FuncletCall call = ref s_calls![s_depth++];
        call.Parent = parent;
        call.ParentActive = active;
        call.Clause = clause;
        call.IsCatch = isCatch;
        call.DispatcherSp = here;
        call.Exception = exception;
    }

    /// <summary>Execution resumes at <paramref name="sp"/>: funclet calls made below it are over.</summary>
    private static void PruneBelow(ulong sp)
    {
        while (s_depth > 0 && s_calls![s_depth - 1].DispatcherSp < sp)
        {
            s_calls[s_depth - 1].Exception = null;
            s_depth--;
        }
    }

    /// <summary>Called by the catch thunk once the funclet returned, just before it resumes the
    /// method on <paramref name="frame"/>'s stack.</summary>
    [RuntimeExport("ParaKitCatchDone")]
    private static void CatchDone(RegisterContext* frame) => PruneBelow(frame->Rsp);

    private static void Unhandled(object exception, RegisterContext* site, bool active, uint cause)
    {
        Panic.UnhandledException(exception, site, active, cause);
    }
}
