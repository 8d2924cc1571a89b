package auth

import (
	"errors"
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// MaxPasswordBytes is bcrypt's input limit. Longer passwords are refused
// rather than silently truncated.
const MaxPasswordBytes = 72

// HashPassword returns the bcrypt hash of password at cost, for CREATE USER,
// ALTER USER SET PASSWORD and the root password from config.
func HashPassword(password string, cost int) (string, error) {
	if len(password) > MaxPasswordBytes {
		return "", fmt.Errorf("auth: password is %d bytes, over bcrypt's limit of %d", len(password), MaxPasswordBytes)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		return "", fmt.Errorf("auth: hash password: %w", err)
	}
	return string(h), nil
}

// checkPassword runs bcrypt. It reports false for a mismatch and an error
// only for a corrupt stored hash (which the caller logs as a bug and still
// treats as a refusal).
func checkPassword(hash, password string) (bool, error) {
	err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword), errors.Is(err, bcrypt.ErrPasswordTooLong):
		return false, nil
	default:
		return false, fmt.Errorf("auth: verify password: %w", err)
	}
}
