//! [`HasData`]: how generated bindings reach the host state they call into.
//!
//! The `add_to_linker` functions that [`bindgen!`](super::bindgen) generates take a plain
//! function `fn(&mut T) -> D::Data<'_>` that projects the store's data `T` onto the value
//! implementing the generated `Host` traits. `D` names that value's type with its
//! lifetime, which a closure's signature cannot do on its own; [`HasSelf<T>`] is the common
//! case, where the store's data itself implements the traits.

/// A type-level function from a lifetime to the type that implements a set of generated
/// host traits, borrowed from the store's data for that lifetime.
///
/// # Examples
///
/// ```
/// use weft::component::HasData;
///
/// struct Ctx {
///     calls: u32,
/// }
/// struct State {
///     ctx: Ctx,
/// }
///
/// // The host traits are implemented for `&mut Ctx`, a part of the store's data.
/// struct HasCtx;
/// impl HasData for HasCtx {
///     type Data<'a> = &'a mut Ctx;
/// }
///
/// fn project(state: &mut State) -> <HasCtx as HasData>::Data<'_> {
///     &mut state.ctx
/// }
/// let mut state = State { ctx: Ctx { calls: 0 } };
/// project(&mut state).calls += 1;
/// assert_eq!(state.ctx.calls, 1);
/// ```
pub trait HasData: 'static {
    /// The type the host traits are implemented for, borrowed for `'a`.
    type Data<'a>;
}

/// The [`HasData`] whose data is `&mut T`: use `HasSelf<T>` when the store's data (or the
/// part of it that the projection returns) implements the host traits itself.
pub struct HasSelf<T: ?Sized>(core::marker::PhantomData<T>);

impl<T: ?Sized + 'static> HasData for HasSelf<T> {
    type Data<'a> = &'a mut T;
}
