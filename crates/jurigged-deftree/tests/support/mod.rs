pub mod pygen;
